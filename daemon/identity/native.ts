/** The addon's loader and types live in src/native/, where the client reaches them too. */
export {
  type AddonOrReason,
  type NativeAddon,
  type NativeListener,
  type NativeRead,
  type NativeReader,
  type PeerCredentials,
  loadNativeAddon,
} from '../../src/native/addon.js';
