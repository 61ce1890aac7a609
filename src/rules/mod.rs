//! Templates, stencils and typed conditions: the rules as data (evaluated by `analysis::eval`).
//!
//! Rules are data: a template can only describe conditions over the model. There is no
//! construct that reads files, runs commands or reaches the network.

pub mod catalog;
pub mod template;

pub use catalog::{Catalog, LoadedRule, ResolvedStencil, TemplateInfo};
pub use template::{
    Applies, BaseShape, BoundarySchema, Cond, Dir, FlowStep, Pivot, PropSpec, PropType, Reach,
    RelationKind, Role, Rule, Selector, SeverityStep, Stencil, Template,
};
