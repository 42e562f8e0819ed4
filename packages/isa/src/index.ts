export * from './insn';
