export * from './errors';
export * from './resources';
export * from './patch';
export * from './filter';
export * from './render';
export * from './discovery';
export * from './list';
