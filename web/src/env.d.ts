// Imports the bundler (esbuild) resolves that TypeScript does not know.
declare module "*.css";
declare module "*.svg" {
  const text: string;
  export default text;
}
