/*
 * imports.c - a module that needs something from its host: it imports
 * env.print_i32.  `tinystdb wasm run` provides no imports, so running it
 * is an error that names the import (the CLI tests check this).
 *
 * Book: chapter 8, book/08-cli.md
 */
__attribute__((import_module("env"), import_name("print_i32"))) void print_i32(int value);

__attribute__((export_name("hello"))) void hello(void)
{
    print_i32(42);
}
