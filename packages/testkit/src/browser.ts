/**
 * Browser tests' shared pieces (`@thumbnailer/testkit/browser`, apart from the index so that tests without a
 * browser never load playwright-core): Debian's chromium driven by playwright-core, never a downloaded browser,
 * and files dropped as a real drop brings them.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type JSHandle, type Page } from 'playwright-core';

const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: apt-get update && apt-get install -y chromium (.ci/run does)`,
    );
  }
  return await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}

/** A DataTransfer holding these files, built in the page as the browser makes one for a real drop. */
export async function dataTransferOf(
  page: Page,
  files: readonly { name: string; type: string; data: Buffer }[],
): Promise<JSHandle> {
  const encoded = files.map((f) => ({ name: f.name, type: f.type, b64: f.data.toString('base64') }));
  return await page.evaluateHandle(`(() => {
    const transfer = new DataTransfer();
    for (const file of ${JSON.stringify(encoded)}) {
      const bytes = Uint8Array.from(atob(file.b64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], file.name, { type: file.type }));
    }
    return transfer;
  })()`);
}
