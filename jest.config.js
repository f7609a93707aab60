/** Three projects, named by the file suffix: *.unit.spec.ts, *.int.spec.ts, *.e2e.spec.ts. */
const moduleNameMapper = {
  '^@access-audit/([a-z-]+)$': '<rootDir>/libs/$1/src',
  '^@access-audit/([a-z-]+)/([a-z-]+)$': '<rootDir>/libs/$1/src/$2',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }] };
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleNameMapper,
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  // A deadline for every test and hook that names none, not a speed bound. Jest's 5 s default is too close to what the
  // e2e hooks need on a loaded 2-core machine (each starts the app and issues a dozen or more requests before its
  // tests), and the property specs ran up to 4995 ms. A global option: Jest ignores it inside a project.
  testTimeout: 30_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,test}/**/*.unit.spec.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs,test}/**/*.int.spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/{apps,libs,test}/**/*.e2e.spec.ts'] },
  ],
};
