/**
 * Entry point of the `leapocr` executable: flags + environment -> Config -> server.
 * Nothing heavy is imported here; PDF, image and OCR libraries load on first use.
 */
import { ConfigError, helpText, loadConfig, parseFlags } from "./config";

async function serve(flags: Record<string, string>): Promise<void> {
  const config = loadConfig(flags);
  const { createApp } = await import("./app");
  const server = createApp(config);
  await server.start();
  server.app.listen({ port: config.port, hostname: config.host });
  const port = server.app.server?.port;
  server.ctx.logger.info("listening", { url: `http://${config.host}:${port}/api/v1`, data_dir: config.dataDir, docs: `/api/v1/docs` });
  const { countUsers } = await import("./modules/auth/users");
  if (countUsers(server.ctx.db) === 0) {
    console.log("No dashboard user yet: create the first admin with `leapocr admin create --email you@example.com` (password on stdin),\nor start with LEAPOCR_ADMIN_EMAIL and LEAPOCR_ADMIN_PASSWORD set.");
  }
  if (server.firstApiKey) {
    // Printed once, on stdout, at first start: it is stored only as a hash.
    console.log(`\nFirst API key for the default team (shown once, store it now):\n  ${server.firstApiKey}\n`);
  }
  let stopping = false;
  // SIGTERM (docker stop, systemd, Kubernetes): readiness fails at once, the listener closes,
  // pages in flight get the grace period, unfinished leases are given back, the WAL is
  // checkpointed and the database closed. A second signal exits at once.
  const shutdown = async (signal: string) => {
    const logger = server.ctx.logger;
    if (stopping) {
      logger.warn("second signal: exiting without waiting", { signal });
      process.exit(1);
    }
    stopping = true;
    const graceMs = config.shutdownGraceSeconds * 1000;
    logger.info("shutting down", { signal, grace_seconds: config.shutdownGraceSeconds, pages_in_flight: server.runner.pagesInFlight });
    server.readiness.phase = "stopping";
    // Requests under way may finish; keep-alive connections must not hold the exit.
    const closed = await Promise.race([server.app.stop().then(() => true), Bun.sleep(Math.min(graceMs, 5000)).then(() => false)]);
    if (!closed) {
      // Elysia throws synchronously when the server is already stopped: nothing left to force.
      try {
        await server.app.stop(true);
      } catch {}
    }
    await server.close(graceMs);
    logger.info("stopped", { signal });
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

async function healthcheck(flags: Record<string, string>): Promise<never> {
  const config = loadConfig(flags);
  try {
    const res = await fetch(`http://127.0.0.1:${config.port}/api/v1/health`, { signal: AbortSignal.timeout(3000) });
    process.exit(res.ok ? 0 : 1);
  } catch {
    process.exit(1);
  }
}

async function main(argv: string[]): Promise<void> {
  // What this program writes (database, stored files, backups) is its user's alone: 0600 / 0700.
  process.umask(0o077);
  const { flags, rest } = parseFlags(argv);
  if (flags.help || rest[0] === "help") {
    console.log(helpText());
    return;
  }
  const command = rest[0] ?? "serve";
  if (command === "serve") return serve(flags);
  if (command === "healthcheck") return healthcheck(flags);
  if (command === "backup") {
    const { runBackup } = await import("./cli/backup");
    return runBackup(rest.slice(1), flags);
  }
  if (command === "ocr") {
    const { runOcr } = await import("./cli/ocr");
    return runOcr(rest.slice(1), flags);
  }
  if (command === "mcp") {
    const { runMcp } = await import("./cli/mcp");
    return runMcp(rest.slice(1), flags);
  }
  if (command === "credits") {
    const { runCreditsCli } = await import("./modules/credits/cli");
    return runCreditsCli(rest[1], flags);
  }
  if (command === "admin" || command === "keys") {
    const { runCli } = await import("./modules/auth/cli");
    return runCli(command, rest.slice(1), flags);
  }
  throw new ConfigError(`Unknown command "${command}". Run leapocr --help.`);
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ConfigError) {
    console.error(`leapocr: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
