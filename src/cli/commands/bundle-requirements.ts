import { readFile } from 'node:fs/promises';
import { FerryError } from '../../core/errors.js';
import {
  emptyRequirementsResult,
  type RequirementsFileResult,
  readRequirementsFile,
} from '../../resolver/requirements-file.js';
import {
  assertNotUrlRequirement,
  parseRequirement,
  type Requirement,
} from '../../standards/requirement.js';
import { list, type ParsedArgs, usageError } from '../command.js';

/**
 * Requirements from the command line, -r and -c files; URL and editable requirements refused.
 * `constraintFiles` replaces the -c list when given: pip's configured `constraint` files, then
 * the -c ones (settings.ts settleResolution).
 */
export async function collectRequirements(
  command: string,
  args: ParsedArgs,
  allowEmpty = false,
  constraintFiles: readonly string[] = list(args.values.constraint),
): Promise<RequirementsFileResult> {
  const result = emptyRequirementsResult();
  const io = { readFile: (p: string) => readFile(p, 'utf8') };
  for (const file of list(args.values.requirement))
    await readRequirementsFile(file, io, 'requirement', result);
  for (const file of constraintFiles) await readRequirementsFile(file, io, 'constraint', result);
  for (const text of args.positionals) {
    let requirement: Requirement;
    try {
      requirement = parseRequirement(text);
    } catch (error) {
      if (error instanceof FerryError) {
        throw new FerryError(error.code, `ferry ${command}: ${error.message}`, {
          hint: error.hint ?? 'Requirements look like "paddlepaddle==3.0.0" or "numpy>=1.24,<2".',
        });
      }
      throw error;
    }
    result.requirements.push({ requirement, source: 'the command line' });
  }
  for (const r of [...result.requirements, ...result.constraints])
    assertNotUrlRequirement(r.requirement, r.source);
  if (result.requirements.length === 0 && !allowEmpty)
    throw usageError(command, 'give at least one REQUIREMENT or -r FILE.');
  return result;
}
