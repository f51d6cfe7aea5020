/**
 * What the process does with an error nobody handled. An uncaught exception leaves the process in a
 * state nobody reasoned about, so it does not keep serving: the error is logged (fatal), the app is
 * stopped as on SIGTERM but without the drain (streams end, so clients resume with `since` on another
 * instance), bounded by `timeoutMs`, and the process exits 1 for its supervisor to restart it. A
 * promise rejection nobody handled is treated as Node treats it by default: as an uncaught exception
 * (no `unhandledRejection` listener is installed, so Node raises it as one, origin
 * `unhandledRejection`). A second such error while stopping exits at once. docs/operations.md says
 * the same for operators.
 */
import type { Logger } from './logger.js';

export interface CrashPolicyOptions {
  logger: Pick<Logger, 'fatal' | 'flush'>;
  /** Stops the app (null while it is not built yet: then it only exits). */
  stop: () => Promise<void> | null;
  /** How long stopping may take before the process exits anyway. */
  timeoutMs: number;
  exit?: (code: number) => void;
}

export function installCrashPolicy(options: CrashPolicyOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let crashed = false;
  process.on('uncaughtException', (error, origin) => {
    options.logger.fatal({ err: error, origin }, 'uncaught error: stopping, then exiting 1');
    if (crashed) return exit(1);
    crashed = true;
    const end = () => {
      options.logger.flush();
      exit(1);
    };
    const timer = setTimeout(end, options.timeoutMs);
    timer.unref();
    let stopping: Promise<void> | null;
    try {
      stopping = options.stop();
    } catch {
      stopping = null;
    }
    if (!stopping) return end();
    stopping.then(end, end);
  });
}
