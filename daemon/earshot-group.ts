/**
 * What a user outside the earshot group is told to do: the service keeps its control socket
 * (0660) and /etc/earshot (0750, config.json 0640) to root and that group.
 */
export const EARSHOT_GROUP_HINT = 'run as root or as a member of the earshot group (`sudo usermod -aG earshot $USER`, then log in again)';
