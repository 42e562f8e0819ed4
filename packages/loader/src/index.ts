export * from './api';
export { BtfKind, BtfKindName } from './btf/types';
export { LoaderError } from './errors';
export type { LoaderErrorCode } from './errors';
export { loadObject } from './object';
export { parseBtf } from './btf/parse';
export { typeName as btfTypeName } from './btf/query';
export { SECTION_DEFS, findSectionDef } from './section-defs';
export type { SectionDef, SectionInfo } from './section-defs';
// the table lives in @bpfsim/uapi (the verifier reads it too); re-exported for the loader's users
export { isGplCompatible, GPL_COMPATIBLE_LICENSES } from '@bpfsim/uapi';
export { CORE_POISON_IMM, CoreReloKindName } from './core/apply';
export { parseKconfigText, kernelVersionCode } from './kconfig';
export { adjustRingbufSize, internalMapName } from './maps';
export { formatBtfRaw, formatBtfType } from './btf/dump';
export { formatBtfC } from './btf/btf-c';
export { btfFromFile } from './btf/file';
export { sourceByInsn, sourceAnnotations, withMapFds } from './source-lines';
export { decodeBtfValue, findBtfType, type BtfValue } from './btf/decode';
