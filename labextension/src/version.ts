declare const __KFSM_VERSION__: string;

/**
 * The version of this frontend, set at build time from package.json — the one source of the
 * version, which the Python package also reports — so a mismatch with the server extension shows.
 */
export const VERSION: string = __KFSM_VERSION__;
