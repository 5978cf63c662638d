import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The kernel's word on who is at the other end of a Unix socket. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** An opaque listener made by the addon. */
export interface NativeListener {
  readonly __nativeListener: unique symbol;
}

/** An opaque reader made by the addon: the reads of many sockets, handed to JavaScript together. */
export interface NativeReader {
  readonly __nativeReader: unique symbol;
}

/** An opaque handle on one socket's reads. */
export interface NativeRead {
  readonly __nativeRead: unique symbol;
}

/** What the N-API addon in daemon/native offers. */
export interface NativeAddon {
  /**
   * Listens on a Unix socket (its mode is what the umask leaves) and accepts
   * every connection itself, reading its SO_PEERCRED first: `onConnection`
   * gets the new descriptor with the credentials, or with why they could not be
   * read (fd -1 when accepting itself failed).
   */
  listen(
    path: string,
    onConnection: (fd: number, credentials: PeerCredentials | null, error: string | null) => void,
  ): NativeListener;
  close(listener: NativeListener): void;
  userName(uid: number): string | null;
  groupId(name: string): number | null;
  /** One send(2) of `bytes` to socket `fd`: the bytes it took at once (0 when none now), or -errno. */
  writeSome(fd: number, bytes: Uint8Array): number;
  /**
   * Reads of sockets, one call a turn for all that were read: `onReads(count)` finds `count` pairs of
   * (slot, bytes read | 0 at the end | -errno) at the start of `events` (see daemon/server/native-reads.ts).
   * After a turn that handed reads on, the event loop watches for more for up to `waitMicros` (0, the
   * default: not at all) before it sleeps.
   */
  reader(events: Int32Array, onReads: (count: number) => void, waitMicros?: number): NativeReader;
  /** Starts reading socket `fd` (a duplicate of it) into `buffer`, reported as `slot`. */
  readStart(reader: NativeReader, fd: number, slot: number, buffer: Uint8Array): NativeRead;
  readInto(read: NativeRead, buffer: Uint8Array): void;
  readPause(read: NativeRead, paused: boolean): void;
  /** No more reads; the duplicate descriptor is closed. */
  readStop(read: NativeRead): void;
}

/** The addon, or why there is none. */
export type AddonOrReason = NativeAddon | { missing: string };

/** Where `npm install` builds the addon, from the package's root. */
const BUILT = 'daemon/native/build/Release/cortex_native.node';

/**
 * The addon's path: three levels up from this module where tsc puts it (dist/src/native/), two from a
 * bundle that carries it (the CLI's dist/bin/cortex.cjs, the TUI's dist/tui/run.bundle.cjs).
 */
function addonPath(): string {
  const candidates = ['../../../', '../../'].map((up) => fileURLToPath(new URL(up + BUILT, import.meta.url)));
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

/**
 * Loads the addon that `npm install` built, or returns the reason it cannot be
 * loaded (not built on this platform, no compiler at install time).
 * `pretendMissing` is the testing aid CORTEX_TEST_NO_ADDON: the daemon then
 * behaves exactly as on a machine where the addon did not build.
 */
export function loadNativeAddon(pretendMissing = false): AddonOrReason {
  if (pretendMissing) return { missing: 'CORTEX_TEST_NO_ADDON is set (a testing aid)' };
  try {
    return createRequire(import.meta.url)(addonPath()) as NativeAddon;
  } catch (error) {
    return { missing: (error as Error).message.split('\n')[0] ?? 'unknown error' };
  }
}
