#!/bin/sh
# A listed file outside src/ must name its chapter as well.
# Book: chapter 1, book/01-demo.md
run() {
    echo "$@"
}
