pub mod knowledge;
pub mod yaml;
