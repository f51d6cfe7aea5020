/**
 * The browser the UI tests drive: Debian's Chromium (`npm run setup:test` installs it), headless,
 * through playwright-core. A missing Chromium fails the test with what to run, never skips it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  expect(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM}: run npm run setup:test`).toBe(true);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      ...extraArgs,
    ],
  });
}
