export * from './events';
export * from './state';
export * from './decide';
export * from './provisioning';
export * from './directory-access';
export * from './team-sync';
