/**
 * The Earshot plugin API version, a semver string.
 *
 * A plugin declares the range it supports in its package.json (`"engines": { "earshot": "^1.0.0" }`);
 * the host refuses a plugin whose range does not include this version. {@link definePlugin}
 * also stamps the version the plugin was built against into its definition, so the host can
 * tell a plugin built against a newer SDK than the daemon it runs in.
 */
export const API_VERSION = '1.0.0';
