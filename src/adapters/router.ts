/**
 * The models a deployment offers and the routes behind each. By default the public names
 * standard-v2 and pro-v2, and `offline`, all run on the embedded offline engine.
 */
import type { ModelDefinition, ModelRoute } from "../ports/model";

export class ModelRegistry {
  private readonly byName: Map<string, ModelDefinition>;

  constructor(readonly models: ModelDefinition[]) {
    this.byName = new Map(models.map((m) => [m.name, m]));
  }

  get(name: string): ModelDefinition | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  async close(): Promise<void> {
    const routes = new Set<ModelRoute>(this.models.flatMap((m) => m.routes));
    await Promise.all([...routes].map((r) => r.close?.()));
  }
}

export function defaultModels(offline: ModelRoute): ModelDefinition[] {
  const backed = "Runs on the embedded offline engine (PDF text layer, OCR for scanned pages).";
  return [
    { name: "standard-v2", displayName: "Standard v2", description: `LeapOCR's standard model name. ${backed}`, creditsPerPage: 1, priority: 1, surchargePerPage: 0, routes: [offline], supportsStructured: false },
    { name: "pro-v2", displayName: "Pro v2", description: `LeapOCR's pro model name. ${backed}`, creditsPerPage: 3, priority: 2, surchargePerPage: 2, routes: [offline], supportsStructured: false },
    { name: "offline", displayName: "Offline engine", description: `${backed} Needs no model key and no network.`, creditsPerPage: 1, priority: 0, surchargePerPage: 0, routes: [offline], supportsStructured: false },
  ];
}

export const DEFAULT_MODEL = "standard-v2";
