/**
 * The Node version the README names is one the whole install accepts: every package in the lock
 * file that declares `engines.node` admits package.json's minimum, and the README states that
 * minimum. (Node 20 installed with 135 lines of EBADENGINE warnings while the README said Node 20.)
 */
import { expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");

test("package.json's engines.node minimum is admitted by every locked package and stated in the README", async () => {
  const pkg = await Bun.file(join(root, "package.json")).json();
  const min = /^>=(\d+\.\d+\.\d+)$/.exec(pkg.engines?.node ?? "")?.[1];
  expect(min, 'package.json engines.node must read ">=X.Y.Z"').toBeDefined();
  const lock = await Bun.file(join(root, "package-lock.json")).json();
  // Packages for another OS or CPU (sharp's win32 builds...) are never installed here: npm skips them.
  const forHere = (p: { os?: string[]; cpu?: string[] }) => (!p.os || p.os.includes(process.platform)) && (!p.cpu || p.cpu.includes(process.arch));
  const refusing = Object.entries(lock.packages as Record<string, { engines?: { node?: string } | string[]; os?: string[]; cpu?: string[] }>)
    .filter(([name, p]) => name !== "" && forHere(p) && p.engines && !Array.isArray(p.engines) && p.engines.node && !Bun.semver.satisfies(min!, p.engines.node))
    .map(([name, p]) => `${name} wants node ${(p.engines as { node: string }).node}`);
  expect(refusing).toEqual([]);
  const [major, minor] = min!.split(".") as [string, string];
  expect(await Bun.file(join(root, "README.md")).text()).toContain(`Node ${major}.${minor} or later`);
  expect((await Bun.file(join(root, ".nvmrc")).text()).trim()).toBe(major);
});
