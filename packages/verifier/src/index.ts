export * from './api';
export { verify } from './verify';
export { explain } from './explain';
export * as scalar from './scalar';
