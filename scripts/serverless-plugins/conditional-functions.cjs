'use strict';

/**
 * Serverless plugin: a function with `condition` (mailInventory: HasMail) gets it on the
 * function and its log group from the framework, but not on what else is made for it: its
 * role (serverless-iam-roles-per-function), its async settings, its S3 permission, its entry
 * in the bucket's notifications. This gives every resource named after the function the
 * same condition, and makes the notification entry conditional too (`Fn::If`).
 *
 * The bucket must not depend (DependsOn) on a resource that may not exist, yet S3 checks
 * its permission to invoke the function when the notification is set; the entry's function
 * ARN is therefore selected from a list that also names the permission, an implicit
 * dependency that only exists when the condition holds.
 */
class ConditionalFunctions {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.apply() };
  }

  apply() {
    const { service } = this.serverless;
    const naming = this.serverless.getProvider('aws').naming;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    for (const [name, fn] of Object.entries(service.functions ?? {})) {
      if (!fn.condition) continue;
      const prefix = naming.getNormalizedFunctionName(name);
      const functionId = naming.getLambdaLogicalId(name);
      const permissions = Object.keys(resources).filter(
        (id) => id.startsWith(`${prefix}LambdaPermission`) && id.endsWith('S3'),
      );
      for (const [id, resource] of Object.entries(resources)) {
        if (id.startsWith(prefix) && !resource.Condition) resource.Condition = fn.condition;
        if (resource.Type !== 'AWS::S3::Bucket') continue;
        if (Array.isArray(resource.DependsOn)) {
          resource.DependsOn = resource.DependsOn.filter((dependency) => !permissions.includes(dependency));
        }
        const notifications = resource.Properties?.NotificationConfiguration;
        if (!notifications?.LambdaConfigurations) continue;
        notifications.LambdaConfigurations = notifications.LambdaConfigurations.map((entry) => {
          if (entry.Function?.['Fn::GetAtt']?.[0] !== functionId) return entry;
          const select = { 'Fn::Select': [0, [entry.Function, ...permissions.map((p) => ({ Ref: p }))]] };
          return { 'Fn::If': [fn.condition, { ...entry, Function: select }, { Ref: 'AWS::NoValue' }] };
        });
      }
    }
  }
}

module.exports = ConditionalFunctions;
