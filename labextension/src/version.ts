/**
 * The version of this frontend. Must equal the Python package's `kfsm_lab.__version__`
 * (a test checks it) so a mismatch with the server extension can be reported.
 */
export const VERSION = '0.1.0';
