'use strict';

/**
 * Serverless plugin: removes the framework's shared `IamRoleLambdaExecution` role once
 * serverless-iam-roles-per-function has given every function a role of its own. The
 * shared role would otherwise be deployed unused, holding the union of every function's
 * stream and queue permissions — the opposite of least privilege. It is kept whenever
 * anything in the template still refers to it.
 */
class PruneDefaultRole {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.prune() };
  }

  prune() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const resources = template.Resources;
    if (!resources.IamRoleLambdaExecution) return;
    const { IamRoleLambdaExecution: _role, ...others } = resources;
    const referenced = JSON.stringify({ ...template, Resources: others }).includes(
      '"IamRoleLambdaExecution"',
    );
    if (!referenced) delete resources.IamRoleLambdaExecution;
  }
}

module.exports = PruneDefaultRole;
