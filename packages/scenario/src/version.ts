/** The bpfsim version written into recordings and traces. */
export const BPFSIM_VERSION = '0.1.0';
