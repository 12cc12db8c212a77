/** The Earshot plugin API version; plugins declare the range they support in engines.earshot. */
export const API_VERSION = '1.0.0';
