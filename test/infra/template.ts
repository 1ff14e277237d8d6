import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../local/service-config.ts';

/** The packaged CloudFormation template (`npm run package` writes it; `npm test` runs that first). */
export const templatePath = join(projectRoot, '.serverless', 'cloudformation-template-update-stack.json');

export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  Condition?: string;
  DependsOn?: unknown;
}

export interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Default?: unknown }>;
  Outputs?: Record<string, { Value: unknown }>;
}

export function loadTemplate(): Template {
  if (!existsSync(templatePath)) {
    throw new Error(`${templatePath} is missing: run \`npm run package\` first (npm test does).`);
  }
  return JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const role = template.Resources[roleLogicalId];
  if (!role) throw new Error(`no role ${roleLogicalId}`);
  const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** The resource with this logical id; a test about a missing one fails saying so. */
export function resourceOf(template: Template, logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`the template has no ${logicalId}`);
  return found;
}

export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/**
 * What cfn-lint says of a packaged template ('' when nothing), as the infra tests run it:
 * W3005 (a DependsOn that a Ref already implies) is how the framework writes its own
 * resources; everything else counts. `parameters` are cfn-lint's `--parameters` values.
 */
export async function cfnLintFindings(path: string, parameters: string[] = []): Promise<string> {
  const args = ['--ignore-checks', 'W3005', ...(parameters.length ? ['--parameters', ...parameters] : [])];
  return promisify(execFile)('cfn-lint', [...args, '--', path]).then(
    () => '',
    (error: { code?: number | string; stdout?: string; stderr?: string }) => {
      if (error.code === 'ENOENT') {
        throw new Error('cfn-lint is not installed: `pip install cfn-lint` (CI machines have it).');
      }
      return `${error.stdout ?? ''}${error.stderr ?? ''}` || `cfn-lint exited ${String(error.code)}`;
    },
  );
}
