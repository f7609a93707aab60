/** What every console browser test starts: Chromium, a build of the console's current sources, and the API serving it. */
import { rmSync } from 'node:fs';
import { startTestApi, type TestApi } from '../support/test-api';
import { buildConsole } from './build-console';
import { launchChromium, type Browser } from './chromium';

export interface ConsoleUnderTest {
  browser: Browser;
  api: TestApi;
  /** Closes the browser and the API (checking its answers against the OpenAPI document) and removes the build. */
  close(): Promise<void>;
}

export async function startConsoleUnderTest(options: { timezoneId: string }): Promise<ConsoleUnderTest> {
  const browser = await launchChromium(options);
  let consoleDir: string | undefined;
  let api: TestApi | undefined;
  const close = async (): Promise<void> => {
    try {
      await browser.close();
      await api?.close();
    } finally {
      if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
    }
  };
  try {
    consoleDir = buildConsole();
    api = await startTestApi({ consoleDir });
    return { browser, api, close };
  } catch (error) {
    await close();
    throw error;
  }
}
