# palette.gp -- one colour and one point type per model, the same in every figure.
#
# The nine reference networks in their canonical (stacking) order, spec fitting-and-reports
# §2.4.  Colours: the "tab10" set without its olive; point types: gnuplot's numbering
# (4/5 square, 6/7 circle, 8/9 triangle up, 10/11 triangle down, 12/13 diamond, 14/15
# pentagon; odd = filled).  A model not in the list is drawn black with pt 1 (+).
# Quantization groups (per-model figures): INT, POT, FLOAT.

model_names = "AlexNet AlexNet_BN VGG_16 VGG_19 Inception_BN ResNet_18 ResNet_50 ResNet_152 MobileNetV2"
array model_rgb[9] = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0x17becf]
array model_pts[9] = [7, 5, 9, 11, 13, 15, 6, 4, 8]

group_names = "INT POT FLOAT"
array group_rgb[3] = [0xe69f00, 0x009e73, 0xcc79a7]

# position of word w in the list s (0 if absent)
word_index(s, w) = sum [i = 1:words(s)] (word(s, i) eq w ? i : 0)

model_color(m) = word_index(model_names, m) ? sprintf("#%06x", model_rgb[word_index(model_names, m)]) : "#000000"
model_pt(m)    = word_index(model_names, m) ? model_pts[word_index(model_names, m)] : 1
group_color(g) = word_index(group_names, g) ? sprintf("#%06x", group_rgb[word_index(group_names, g)]) : "#000000"

# colour of the fitted curve and of the small "ALL" dots (the reference draws both)
fit_color = "#000000"
all_color = "#1f3b73"
