/**
 * Turns library events into what a person or a script sees. stdout carries only data
 * (the --json result and events); progress, warnings and errors go to stderr.
 */

import { FERRY_ENV, readEnv } from '../core/env.js';
import { FerryError } from '../core/errors.js';
import type { EventSink, FerryEvent } from '../core/events.js';
import { redactText } from '../core/redact.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

export interface Output {
  readonly json: boolean;
  readonly events: EventSink;
  /** Prints the final result: JSON on stdout, or text lines on stdout. */
  result(data: unknown, text: string): void;
  finish(): void;
}

const colour = (code: string, text: string): string =>
  process.stderr.isTTY && readEnv(FERRY_ENV.noColor) === undefined
    ? `\u001b[${code}m${text}\u001b[0m`
    : text;

export function createOutput(json: boolean, quiet = false): Output {
  const tty = process.stderr.isTTY === true && !json;
  const progress = new Map<string, { received: number; size?: number }>();
  let lastDraw = 0;
  let drawn = false;
  const clear = (): void => {
    if (drawn) process.stderr.write('\r\u001b[K');
    drawn = false;
  };
  const draw = (): void => {
    if (!tty || Date.now() - lastDraw < 100) return;
    lastDraw = Date.now();
    let received = 0;
    let total = 0;
    for (const p of progress.values()) {
      received += p.received;
      total += p.size ?? p.received;
    }
    const line = `downloading ${progress.size} file(s): ${mb(received)} / ${mb(total)}`;
    process.stderr.write(`\r\u001b[K${line.slice(0, (process.stderr.columns ?? 80) - 1)}`);
    drawn = true;
  };
  const say = (text: string): void => {
    if (quiet) return;
    clear();
    process.stderr.write(`${text}\n`);
  };
  const events: EventSink = (event: FerryEvent) => {
    if (json) {
      process.stdout.write(`${JSON.stringify({ event: event.type, ...stripType(event) })}\n`);
      return;
    }
    switch (event.type) {
      case 'resolve-start':
        say(`resolving ${event.requirements.join(' ')}`);
        break;
      case 'resolve-done':
        say(`resolved ${event.packages} packages in ${event.seconds.toFixed(1)} s`);
        break;
      case 'download-start':
        progress.set(event.filename, {
          received: 0,
          ...(event.size === undefined ? {} : { size: event.size }),
        });
        draw();
        break;
      case 'download-progress':
        progress.set(event.filename, {
          received: event.received,
          ...(event.size === undefined ? {} : { size: event.size }),
        });
        draw();
        break;
      case 'download-done':
        progress.delete(event.filename);
        say(`  downloaded ${event.filename} (${mb(event.size)})`);
        break;
      case 'download-cached':
        say(`  cached     ${event.filename}`);
        break;
      case 'download-retry':
        say(
          colour('33', `  retrying ${event.filename} (attempt ${event.attempt}): ${event.reason}`),
        );
        break;
      case 'upload-start':
        say(`  uploading  ${event.filename} (${mb(event.size)}) to ${event.destination}`);
        break;
      case 'upload-done':
        say(`  ${event.outcome === 'uploaded' ? 'uploaded  ' : 'present   '} ${event.filename}`);
        break;
      case 'install-step':
        say(`${event.step}${event.detail ? `: ${event.detail}` : ''}`);
        break;
      case 'warning':
        say(colour('33', `warning: ${event.message}`));
        break;
      case 'info':
        say(event.message);
        break;
      default:
        break;
    }
  };
  return {
    json,
    events,
    result(data, text) {
      clear();
      if (json)
        process.stdout.write(`${JSON.stringify({ event: 'result', ...(data as object) })}\n`);
      else if (text !== '') process.stdout.write(`${text}\n`);
    },
    finish: clear,
  };
}

/** Prints an error (never with credentials) and returns the exit status for it. */
export function reportError(error: unknown, json: boolean): number {
  if (error instanceof FerryError) {
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ event: 'error', code: error.code, message: redactText(error.message), hint: error.hint, details: error.details })}\n`,
      );
    } else {
      process.stderr.write(
        `${colour('31', 'error')}[${error.code}]: ${redactText(error.message)}\n`,
      );
      if (error.hint) process.stderr.write(`${colour('36', 'hint')}: ${error.hint}\n`);
    }
    return exitCodeFor(error.code);
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (json)
    process.stdout.write(
      `${JSON.stringify({ event: 'error', code: 'ERR_FERRY_INTERNAL', message: redactText(message) })}\n`,
    );
  else
    process.stderr.write(
      `${colour('31', 'internal error')}: ${redactText(message)}\nPlease report this with the command you ran.\n`,
    );
  return EXIT.failure;
}

function stripType(event: FerryEvent): Omit<FerryEvent, 'type'> {
  const { type: _type, ...rest } = event;
  return rest;
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
