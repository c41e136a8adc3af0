# Tool choices and flags (included by Makefile).
CC      ?= gcc
STD     := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Werror
OPT     ?= -O3 -march=x86-64-v3
CFLAGS  := $(STD) $(WARN) $(OPT) -g -MMD -MP -Isrc
LDLIBS  := -lopenblas -llapacke -lz -lpthread -lm
PYTHON  := /usr/bin/python3
ifeq ($(SAN),1)
  CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
  BUILD   := build-san
else
  BUILD   := build
endif
