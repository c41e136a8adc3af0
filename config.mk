# Tool choices and flags (included by Makefile).
CC      ?= gcc
STD     := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Werror
OPT     ?= -O3 -march=x86-64-v3
# oneDNN (Debian libdnnl-dev) for convolutions at run time with MTA_CONV=dnnl (src/nn/conv_dnnl.h):
# auto = when its header is installed, 1 = required, 0 = never
DNNL    ?= auto
ifeq ($(DNNL),auto)
  override DNNL := $(if $(wildcard /usr/include/oneapi/dnnl/dnnl.h),1,0)
endif
ifeq ($(DNNL),1)
  CFLAGS_DNNL := -DMTA_DNNL
  LDLIBS_DNNL := -ldnnl -lgomp
endif
CFLAGS  := $(STD) $(WARN) $(OPT) -g -MMD -MP -Isrc $(CFLAGS_DNNL)
LDLIBS  := -lopenblas -llapacke -lz -lpthread -lm $(LDLIBS_DNNL)
PYTHON  := /usr/bin/python3
ifeq ($(SAN),1)
  CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
  BUILD   := build-san
else
  BUILD   := build
endif
