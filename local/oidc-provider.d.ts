// oidc-provider's own memory store, which @types/oidc-provider does not describe.
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  const MemoryAdapter: import('oidc-provider').AdapterConstructor;
  export default MemoryAdapter;
}
