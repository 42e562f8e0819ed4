export * from './errors';
export * from './opcodes';
export * from './enums';
export * from './errno';
export * from './helper-ids';
export * from './helper-protos';
export * from './prog-types';
export * from './sock-fields';
