/**
 * The Docker image, built and run with no image registry: scripts/docker-offline-build.sh makes
 * the base images locally (debootstrap + docker import, Node 22 from npm), builds with the
 * classic builder (no `# syntax` frontend to pull, no BuildKit-only instruction), runs the
 * container and checks health, the non-root user, an API key and `docker exec ... leapocr admin
 * create` (the binary on PATH). Runs only with LEAPOCR_TEST_DOCKER=1 (the build is slow); skipped,
 * saying why, when no Docker engine can start here.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const which = (bin: string) => Bun.spawnSync(["sh", "-c", `command -v ${bin}`]).exitCode === 0;
const missing = ["dockerd", "docker", "debootstrap", "curl"].filter((b) => !which(b));
// The build takes 7-11 minutes on 2 cores (docs/OPERATIONS.md "Docker"): more than the whole
// suite may take, so it runs when asked for (LEAPOCR_TEST_DOCKER=1), not in every `npm test`.
const why =
  process.env.LEAPOCR_TEST_DOCKER !== "1"
    ? "the image build takes 7-11 minutes; run it with LEAPOCR_TEST_DOCKER=1 bun test test/e2e/docker.test.ts"
    : missing.length > 0
    ? `no Docker engine can start here: ${missing.join(", ")} not installed (apt-get install docker.io debootstrap curl)`
    : process.getuid?.() !== 0
      ? "no Docker engine can start here: dockerd needs root"
      : null;
if (why) console.warn(`docker.test.ts skipped: ${why}`);

test.skipIf(why !== null)("the image builds offline with locally made base images, runs healthy and non-root, and `leapocr admin create` works through docker exec", async () => {
  const proc = Bun.spawn(["bash", join(root, "scripts/docker-offline-build.sh")], { cwd: root, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code === 3) {
    console.warn(`docker.test.ts: dockerd did not start (${err.trim().slice(0, 300)}); nothing was checked`);
    return;
  }
  expect(code, `${out}\n${err}`).toBe(0);
  expect(out).toContain("HEALTH=ok");
  expect(out).toMatch(/MODELS=\{"count":\d+/);
  expect(out).toContain("USER=10001");
  expect(out).toContain("ADMIN_CREATE=ok");
  const size = Number(/IMAGE_SIZE_BYTES=(\d+)/.exec(out)?.[1]);
  expect(size).toBeGreaterThan(50_000_000);
  console.log(out.trim());
}, 30 * 60_000);

test("the Dockerfile pulls no frontend, uses no BuildKit-only flag, puts the binary on PATH and takes CA, registry and base-image arguments", async () => {
  const text = await Bun.file(join(root, "Dockerfile")).text();
  expect(text).not.toMatch(/^#\s*syntax\s*=/m);
  const instructions = text.split("\n").filter((l) => !l.trimStart().startsWith("#")).join("\n");
  expect(instructions).not.toMatch(/--chmod|--mount|<<\s*\w/);
  expect(text).toMatch(/COPY --from=build \/src\/dist\/leapocr \/usr\/local\/bin\/leapocr/);
  for (const arg of ["BUILD_IMAGE", "RUNTIME_IMAGE", "NPM_REGISTRY", "EXTRA_CA_CERT"]) expect(text).toMatch(new RegExp(`^ARG ${arg}=`, "m"));
  expect(text).toMatch(/^ARG DEBIAN_FRONTEND=noninteractive$/m);
  expect(text).toMatch(/FROM \$\{BUILD_IMAGE\} AS build/);
  expect(text).toMatch(/FROM \$\{RUNTIME_IMAGE\} AS runtime/);
});
