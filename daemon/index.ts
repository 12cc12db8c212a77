import { parseArgs } from 'node:util';
import { ConfigError, configFileErrorIn } from './config/errors.js';
import { loadConfig } from './config/load.js';
import { Controller } from './controller.js';
import { LOG_LEVELS, LogSink, type LogLevel } from './log/logger.js';
import { throttledWarnings } from './log/throttled-warnings.js';
import { packageVersion } from './paths.js';
import { SystemdNotifier } from './systemd/notify.js';
import { checkModelDir } from './pipeline/check-model-dir.js';
import type { ModelConfig } from './pipeline/asr-runtime.js';

/** sysexits(3): configuration error. systemd's RestartPreventExitStatus keeps it from looping. */
export const EX_CONFIG = 78;
const EX_USAGE = 64;
const EX_SOFTWARE = 70;

const USAGE = `Usage: earshotd [--config FILE] [--log-level LEVEL]

  -c, --config FILE      configuration file (default: $EARSHOT_CONFIG; none = schema defaults)
  -l, --log-level LEVEL  ${LOG_LEVELS.join('|')} (wins over log.level in the config)
      --check            validate the configuration, print problems and exit
  -v, --version          print the version and exit
  -h, --help             this help`;

/** Runs the daemon until a signal stops it; resolves to the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        'log-level': { type: 'string', short: 'l' },
        check: { type: 'boolean' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`earshotd: ${(err as Error).message}\n${USAGE}\n`);
    return EX_USAGE;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const version = packageVersion();
  if (args.version) {
    process.stdout.write(`earshotd ${version}\n`);
    return 0;
  }
  const logLevel = args['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    process.stderr.write(`earshotd: --log-level must be one of ${LOG_LEVELS.join(', ')}\n`);
    return EX_USAGE;
  }

  const file = args.config ?? env.EARSHOT_CONFIG;
  let config;
  try {
    config = loadConfig({ file, env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`earshotd: invalid configuration in ${err.source}; refusing to start:\n${err.lines().join('\n')}\n`);
    process.stderr.write('hint: fix the lines above (`earshot config validate FILE` checks a file); every key is described in config.schema.json\n');
    return EX_CONFIG;
  }
  if (args.check) {
    try {
      // The files the config names that are checked before the start does anything else.
      checkModelDir((config.model as ModelConfig).dir);
    } catch (err) {
      process.stderr.write(`earshotd: ${(err as Error).message}\n`);
      return EX_CONFIG;
    }
    process.stdout.write(`${file ?? '(defaults)'}: valid\n`);
    return 0;
  }

  const logs = new LogSink({ level: (logLevel as LogLevel | undefined) ?? config.log.level, format: config.log.format });
  const log = logs.logger('daemon');
  const notifier = new SystemdNotifier({ env, logger: logs.logger('systemd') });
  let fatal: (reason: string) => void = () => undefined;
  const controller = new Controller({ config, logs, version, onStopStep: (step, budgetMs) => void notifier.stopStep(step, budgetMs), onFatal: (reason) => fatal(reason) });

  let stopping: Promise<number> | undefined;
  const stop = (reason: string, code: number): Promise<number> => {
    stopping ??= (async () => {
      log.info('stopping', { reason });
      await notifier.stopping();
      await controller.stop();
      notifier.close();
      log.info('stopped');
      // A start the stop gave up waiting for (a broker that never answers) would keep the
      // process alive until systemd's SIGKILL; everything else is stopped and on disk.
      if (controller.stillStarting) {
        log.warn('exiting with a start still under way');
        // A moment for the last lines to reach journald (its stdout is a socket, written to
        // asynchronously), then go.
        setTimeout(() => process.exit(code), 250);
      }
      return code;
    })();
    return stopping;
  };

  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal means the operator will not wait for a clean stop.
        log.warn(`second ${signal}: exiting now`);
        process.exit(130);
      }
      void stop(signal, 0).then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Node's default for SIGHUP ends the process at once, with no clean stop, and systemd
    // counts SIGHUP as a clean exit, so Restart=on-failure would not bring it back. Under
    // the unit (it sends none; there is no ExecReload) it is `kill -HUP` out of habit, and
    // reloading in place would mean rebuilding every service: say so and keep serving.
    const onHangup = (): void => {
      // In a terminal, SIGHUP is the terminal closing: stop cleanly, then end by the signal
      // itself, as a hung-up process does. Not by exiting: Node 20 aborts at exit when it
      // cannot restore the modes of a terminal that is gone.
      if (process.stdout.isTTY || process.stderr.isTTY) {
        if (stopping) return;
        void stop('SIGHUP (the terminal closed)', 0).then(() => {
          // Node's own handler goes with the last listener; the timer keeps the process up
          // until it has, and the signal's default action ends it. Where SIGHUP was ignored
          // when the process began (Node puts that back), SIGKILL: the stop is done.
          process.off('SIGHUP', onHangup);
          setTimeout(() => process.kill(process.pid, 'SIGHUP'), 50);
          setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000);
        });
        return;
      }
      log.warn('SIGHUP: reloading the configuration is not supported; still serving with the configuration read at start. Restart the service to apply config changes (systemctl restart earshot)');
    };
    process.on('SIGHUP', onHangup);
    // A log reader that went away (journald restarted, `| head`: EPIPE; a terminal that
    // hung up: EIO) must not turn every log line into an uncaught exception that logs again:
    // a spinning loop that ignored SIGTERM. The lines have nowhere to go; the work goes on.
    for (const out of [process.stdout, process.stderr]) out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
    });
    // Another earshotd took the data directory: every write from here on would meet its
    // own. The state on disk is crash-safe (as after a SIGKILL), so leave at once rather
    // than stop gracefully, which would save progress and finish jobs into it.
    fatal = (reason) => {
      log.error('exiting at once', { reason });
      notifier.close();
      setTimeout(() => process.exit(1), 100);
    };
    process.on('uncaughtException', (err) => {
      log.error('uncaught exception; stopping', { err, stack: err.stack });
      void stop('uncaught exception', EX_SOFTWARE).then(resolve);
    });
    // A promise a service forgot to handle: log it loudly, keep serving. At a bounded rate:
    // if what rejects is driven by messages from the network, the sender sets the pace.
    const rejections = throttledWarnings(log, 'unhandled promise rejections');
    process.on('unhandledRejection', (reason) => {
      rejections.error('unhandled promise rejection', { err: reason instanceof Error ? reason : String(reason) });
    });
  });

  log.info('starting', { version, site: config.siteId, config: file ?? '(defaults)', pid: process.pid });
  try {
    await controller.start();
  } catch (err) {
    // A signal during the start: the stop it began has stopped what had started.
    if (stopping) return stopping;
    log.error('could not start', { err });
    notifier.close();
    const configFile = configFileErrorIn(err);
    if (configFile) process.stderr.write(`earshotd: ${configFile.message}; refusing to start\n`);
    const code = configFile ? EX_CONFIG : 1;
    // Each service releases what it opened when its start fails. Should one not, the handle
    // would keep a daemon that never becomes ready alive until systemd's start timeout, and
    // then be restarted into the same failure. Unref'd: it waits for nothing itself.
    setTimeout(() => {
      log.error('something the failed start opened is still open; exiting anyway');
      process.exit(code);
    }, 2000).unref();
    return code;
  }
  await notifier.ready(`serving site ${config.siteId}`);
  log.info('ready', { socket: config.control.socket });
  return stopped;
}
