/**
 * The embedded offline engine: a PDF page with a usable text layer becomes markdown straight
 * from that layer; anything else is rendered and read by the embedded OCR engine. Needs no key
 * and no network.
 */
import type { ModelRoute, PageOutput, PageRequest, PageSource } from "../ports/model";
import type { OcrEngine } from "../pipeline/ocr/index";

export interface OfflineRouteOptions {
  ocrDpi: number;
  ocrWorkers: number;
  ocrLangs: string[];
  ocrLangDir?: string;
}

export class OfflineRoute implements ModelRoute {
  readonly name = "offline";
  readonly provider = "offline" as const;
  private engine: Promise<OcrEngine> | null = null;

  constructor(private readonly options: OfflineRouteOptions) {}

  /** Started on first use: the OCR engine is heavy and many documents never need it. */
  private ocr(): Promise<OcrEngine> {
    this.engine ??= import("../pipeline/ocr/index").then(({ createOcrEngine }) =>
      createOcrEngine({
        workers: this.options.ocrWorkers,
        langs: this.options.ocrLangs,
        langDataDir: this.options.ocrLangDir || undefined,
      }),
    );
    return this.engine;
  }

  async readPage(page: PageSource, request: PageRequest): Promise<PageOutput> {
    const dpi = this.options.ocrDpi;
    const layer = await page.textLayer(dpi);
    if (layer?.usable) {
      return {
        markdown: layer.markdown,
        // Text taken from the document itself, not recognised: nothing to doubt.
        confidence: 1,
        width: layer.width,
        height: layer.height,
        blocks: request.extractBoundingBoxes ? layer.blocks : undefined,
        route: "offline:text-layer",
      };
    }
    const image = await page.image(dpi);
    const engine = await this.ocr();
    const { ocrToMarkdown, ocrToBlocks } = await import("../pipeline/ocr/index");
    const result = await engine.recognize(image.png);
    return {
      markdown: ocrToMarkdown(result),
      confidence: result.confidence,
      width: image.width,
      height: image.height,
      blocks: request.extractBoundingBoxes ? ocrToBlocks(result) : undefined,
      route: "offline:ocr",
    };
  }

  async close(): Promise<void> {
    if (this.engine) await (await this.engine).close();
    this.engine = null;
  }
}
