export * from './scim';
export * from './directory';
