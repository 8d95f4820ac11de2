// Where the emulator binaries live, and building them when they are missing. The building and the Go check are
// scripts/build-emulators.sh's (through build-go-tool.sh, which asks scripts/preflight.mjs about Go).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The workspace folder (src/ and dist/ are both one level below it). */
const workspaceDir = fileURLToPath(new URL('..', import.meta.url));

/** The project-local, git-ignored folder the build script installs into. */
const toolsBinDir = fileURLToPath(new URL('../.tools/bin/', import.meta.url));

export type Tool = 'fake-gcs-server' | 'pubsub-emulator';

export function toolPath(tool: Tool): string {
  return `${toolsBinDir}${tool}`;
}

/**
 * Runs scripts/build-emulators.sh (which skips whatever is already built) when a binary is missing.
 * Throws the script's one line when it cannot build.
 */
export function ensureTools(): void {
  if ((['fake-gcs-server', 'pubsub-emulator'] as const).every((tool) => existsSync(toolPath(tool)))) return;
  const result = spawnSync(
    'bash',
    [fileURLToPath(new URL('../scripts/build-emulators.sh', import.meta.url))],
    {
      cwd: workspaceDir,
      stdio: ['ignore', 'inherit', 'pipe'],
      encoding: 'utf8',
    },
  );
  if (result.error || result.status !== 0) {
    const reason = result.error?.message ?? result.stderr.trim().split('\n').at(-1) ?? 'build failed';
    throw new Error(reason);
  }
}
