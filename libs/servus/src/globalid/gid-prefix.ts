/** The reserved tag. A caller's own string that starts with it is escaped as `gid://servus/!<string>`. */
export const GID_PREFIX = 'gid://servus/';
