/** Test support shared by every library's specs (`@access-audit/domain/testing`); never imported by running code. */
export { DeciderSpecification, type Decider } from './decider-specification';
export { stateText } from './state-text';
