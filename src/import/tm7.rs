//! Not written yet.

use super::{ImportError, Imported};

pub(super) fn import(path: &str, _bytes: &[u8]) -> Result<Imported, ImportError> {
    Err(ImportError::Invalid {
        path: path.to_owned(),
        pos: None,
        message: "not supported yet".into(),
    })
}
