// Types of prerequisites.mjs, for the TypeScript that imports it (scripts/aws.ts, the tests).

export interface Prerequisite {
  id: string;
  name: string;
  why: string;
  needs: 'start' | 'test';
  get: Record<string, string>;
}

export interface PrerequisiteResult extends Prerequisite {
  found?: string;
  problem?: string;
}

export const projectRoot: string;
export const prerequisites: Prerequisite[];
export function onPath(name: string, env?: NodeJS.ProcessEnv): string | undefined;
export function locateChromium(env?: NodeJS.ProcessEnv): { path: string } | { problem: string };
export function satisfiesRange(version: string, range: string): boolean;
export function howToGet(id: string): string[];
export function checkPrerequisites(scope: 'start' | 'test', env?: NodeJS.ProcessEnv): PrerequisiteResult[];
