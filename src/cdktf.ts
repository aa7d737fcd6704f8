/**
 * The one place that imports cdktf.
 *
 * cdktf was archived upstream in December 2025; its community fork `cdktn` is a rename.
 * Every other module imports from here, so switching is a change to this file alone.
 */
export {
  App,
  TerraformStack,
  TerraformResource,
  TerraformOutput,
  LocalBackend,
  Testing,
  Fn,
  Lazy,
  Token,
  Annotations,
  TerraformVariable,
} from "cdktf";
export { DataResource } from "cdktf";
export { hashMapper, hashMapperHcl, anyToTerraform, anyToHclTerraform } from "cdktf";
export type { LocalExecProvisioner, ITerraformDependable, IResolvable, IResolveContext } from "cdktf";
