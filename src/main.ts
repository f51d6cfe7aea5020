/**
 * The entry point, and with crash-policy.ts the only module that touches `process`: environment,
 * signals, errors nobody handled, exit code.
 */
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { buildApp } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { createLogger } from './logger.js';
import { installCrashPolicy } from './crash-policy.js';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env, `${hostname()}-${process.pid}`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: config.log.level, pretty: Boolean(process.stdout.isTTY) });

  // Said in one line before anything else listens (graphql-ws would otherwise report the failed
  // listen as its own "internal error", with the stack, before ours).
  if (await portInUse(config.http.port, config.http.host)) portTaken(config.http.port, config.http.host);

  // An error nobody handled: log, stop without the drain, exit 1 (crash-policy.ts, docs/operations.md).
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  installCrashPolicy({
    logger,
    stop: () => app?.stop({ drainMs: 0 }) ?? null,
    timeoutMs: config.shutdownTimeoutMs,
  });

  const built = await buildApp(config, { logger });
  app = built;
  await built.start().catch((error: NodeJS.ErrnoException) => {
    // Taken between the check and the listen.
    if (error.code === 'EADDRINUSE') portTaken(config.http.port, config.http.host);
    throw error;
  });

  let first: { signal: string; at: number } | null = null;
  const shutdown = (signal: string) => {
    if (first) {
      // Ctrl-C in a terminal signals the whole foreground process group: npm and tsx relay the same
      // SIGINT that this process already received. A repeat within a moment is that one keypress.
      if (signal === first.signal && Date.now() - first.at < SAME_SIGNAL_MS) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    first = { signal, at: Date.now() };
    logger.info({ signal }, 'shutting down');
    // The app bounds its own shutdown; this is the backstop should something hang anyway.
    const force = setTimeout(
      () => {
        logger.error('shutdown took too long: exiting');
        process.exit(1);
      },
      config.shutdownDrainMs + config.shutdownTimeoutMs + 1000,
    );
    force.unref();
    built.stop({ drainMs: config.shutdownDrainMs }).then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** How long a repeat of the first signal counts as the same one, relayed by a parent process. */
const SAME_SIGNAL_MS = 1000;

/** Whether another process listens on the port already; port 0 is never taken. */
function portInUse(port: number, host: string): Promise<boolean> {
  if (port === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const probe = createServer();
    // Any other failure (EACCES, a bad HOST) is left to the real listen, which reports it.
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

function portTaken(port: number, host: string): never {
  process.stderr.write(
    `Port ${port} is already in use on ${host}: stop what holds it, or start with PORT set to another port.\n`,
  );
  process.exit(1);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Colony failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
