/**
 * Debian's Chromium for the console's browser tests (`.ci/chromium.sh` installs it). Absent, the tests are skipped with the
 * reason, unless ACCESS_AUDIT_REQUIRE_CHROMIUM=1 (CI sets it), when they fail instead.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
// Headless, sandbox off (root), and nothing that reaches for the network: the machines here have none.
import chromiumArgs from './chromium-args.json';

export const chromiumPath = process.env.ACCESS_AUDIT_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can (or must, and fail without it). */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(chromiumPath) || process.env.ACCESS_AUDIT_REQUIRE_CHROMIUM === '1') return undefined;
  return `no Chromium at ${chromiumPath} (install it with .ci/chromium.sh, or set ACCESS_AUDIT_CHROMIUM)`;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile, no network of its own (the machines have no internet). */
export async function launchChromium(options: { timezoneId: string }): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(`ACCESS_AUDIT_REQUIRE_CHROMIUM=1 but there is no Chromium at ${chromiumPath}`);
  const profile = mkdtempSync(join(tmpdir(), 'access-audit-chromium-'));
  // Playwright passes the profile as --user-data-dir; a persistent context is how it takes one.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    timezoneId: options.timezoneId,
    args: chromiumArgs,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
