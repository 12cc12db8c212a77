import { execFileSync } from 'node:child_process';
import { Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { makeFleetKeyPair, type FileOwner } from '../../../mqtt/fleet/fleet-keygen.js';

export default class FleetKeygen extends EarshotCommand {
  static override summary = "Make this box's own key pair for its fleet group (mqtt.fleet.identity), and print the public key.";
  static override description =
    "Writes an Ed25519 private key (PEM, mode 600) for mqtt.fleet.identity.keyFile, never over an existing file, and prints the public key: list it under this box's site id in mqtt.fleet.identity.members on every box of the group. Run it as the daemon's user, or as root with --owner.";
  static override enableJsonFlag = true;
  static override flags = {
    out: Flags.string({ description: 'file to write the private key to (must not exist)', required: true }),
    owner: Flags.string({ description: "user to own the key file: the daemon's user (needs root)" }),
  };
  static override examples = ['sudo <%= config.bin %> fleet keygen --out /etc/earshot/fleet-id.pem --owner earshot'];

  async run(): Promise<{ keyFile: string; publicKey: string }> {
    const { flags } = await this.parse(FleetKeygen);
    const owner = flags.owner === undefined ? undefined : this.userIds(flags.owner);
    let publicKey: string;
    try {
      publicKey = makeFleetKeyPair(flags.out, owner);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const hint = e.code === 'EEXIST' ? 'it exists: a box keeps its key (the others list it); to replace it, remove the file, then list the new key on every box' : e.code === 'EPERM' ? 'setting the owner needs root: run with sudo, or as that user without --owner' : 'check the directory exists and is writable';
      this.error(`--out ${flags.out}: ${e.message}`, { exit: 1, suggestions: [hint] });
    }
    this.log(publicKey);
    return { keyFile: flags.out, publicKey };
  }

  private userIds(user: string): FileOwner {
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim());
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      this.error(`--owner ${user}: no such user`, { exit: 2 });
    }
  }
}
