#!/bin/sh
# Prints its environment and working directory.
printf 'Content-Type: text/plain\r\n\r\n'
env
echo "PWD_IS=$(pwd)"
