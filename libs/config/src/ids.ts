// What an id, a name and a reason may be, for every entry point (HTTP, CLI, and those to come).
/** The one id length limit: body fields, path parameters and token subjects alike. */
export const idMaxLength = 128;
/** Ids of teams, users, projects, rules and tokens: 1–128 characters, letters, digits and . _ : @ | -, starting with a letter or digit. */
export const idPattern = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:@|-]{0,${idMaxLength - 1}}$`);
export const nameMaxLength = 200;
export const reasonMaxLength = 500;
/** An access-review item id names a grant by its kind and ids (`project_role:<userId>:<projectId>`). */
export const itemIdMaxLength = 600;
