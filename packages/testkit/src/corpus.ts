/**
 * The shared third-party corpus (`shared/corpus/images`): files from public test suites, used as they are.
 * `shared/` sits beside the repository (CI, the main checkout) or beside a folder above it (worktrees nest deeper),
 * so it is looked for in every ancestor of this package.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

let found: string | undefined;

/** The corpus image folder; throws, naming where it looked, when there is none. */
export function corpusImagesDir(): string {
  if (found !== undefined) return found;
  const tried: string[] = [];
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'corpus', 'images');
    tried.push(candidate);
    if (existsSync(candidate)) return (found = candidate);
    if (dirname(dir) === dir) break;
  }
  throw new Error(`shared/corpus/images not found; looked in ${tried.join(', ')}`);
}

/** Every file name in the corpus image folder, sorted. */
export async function corpusImageNames(): Promise<string[]> {
  return (await readdir(corpusImagesDir())).sort();
}

/** The bytes of one corpus image. */
export function corpusImage(name: string): Promise<Buffer> {
  return readFile(join(corpusImagesDir(), name));
}
