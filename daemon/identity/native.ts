import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What the N-API addon in daemon/native offers. */
export interface NativeAddon {
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  userName(uid: number): string | null;
  groupId(name: string): number | null;
}

const ADDON_PATH = fileURLToPath(new URL('../../../daemon/native/build/Release/cortex_native.node', import.meta.url));

/**
 * Loads the addon that `npm install` built, or returns the reason it cannot be
 * loaded (not built on this platform, no compiler at install time).
 */
export function loadNativeAddon(): NativeAddon | { missing: string } {
  try {
    return createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  } catch (error) {
    return { missing: (error as Error).message.split('\n')[0] ?? 'unknown error' };
  }
}
