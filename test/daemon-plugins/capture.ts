/**
 * Run an oclif command in-process and capture what it prints; errors are returned, not thrown
 * (with --json, oclif prints them as JSON on stdout instead).
 * oclif sets process.exitCode on a failed command: it is returned as `exitCode` and reset, so
 * the test process itself does not end as failed.
 */
export async function runCommand(
  command: { run(argv: string[], root: string): Promise<unknown> },
  argv: string[],
  root: string,
): Promise<{ result?: unknown; error?: Error & { oclif?: { exit?: number } }; exitCode?: number | string | undefined; stdout: string; stderr: string }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const result = await command.run(argv, root);
    return { result, exitCode: process.exitCode, stdout, stderr };
  } catch (error) {
    return { error: error as Error, exitCode: process.exitCode, stdout, stderr };
  } finally {
    process.exitCode = undefined;
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
