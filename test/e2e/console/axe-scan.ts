/** axe-core in a console page: evaluated in the page, since the console's CSP (script-src 'self') keeps out a script tag. */
import axe from 'axe-core';
import type { Page } from 'playwright-core';

interface PageWithAxe {
  axe: { run(options: axe.RunOptions): Promise<axe.AxeResults> };
}

/** Every serious or critical violation on the page as it stands, one line per element: rule, target, help. */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axe.source);
  const results = await page.evaluate(() =>
    (globalThis as unknown as PageWithAxe).axe.run({ resultTypes: ['violations'] }),
  );
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .flatMap((violation) =>
      violation.nodes.map(
        (node) => `${violation.impact} ${violation.id} at ${node.target.join(' ')}: ${violation.help}`,
      ),
    );
}
